/** Scenario pieces for organization tests: the management account holding Vigil's key, and the audit role each member trusts. */
import { TEST_KEY } from './sandbox.js';

/** The VigilAudit role, trusting the management account with this external id. */
export const orgRole = (externalId = 'org-external') => `    iam:\n      roles:\n        - { name: VigilAudit, trustedAccounts: ["111111111111"], externalId: ${externalId} }`;

/** The scenario's header: organization o-test0000001 and its management account, where Vigil's key lives. */
export const ORG_SCENARIO_HEAD = (name: string) => `
name: ${name}
organization: { id: o-test0000001, managementAccount: "111111111111" }
accounts:
  - id: "111111111111"
    name: management
    enabledRegions: [us-east-1]
    accessKeys:
      - { accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey}, user: vigil }
${orgRole()}`;
