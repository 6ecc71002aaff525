/**
 * Published privilege-escalation paths in AWS IAM, as data: each is a set of actions that together
 * let an identity give itself (or a principal it controls) more power than it has. Sources: Rhino
 * Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (parts 1 and 2), and Bishop
 * Fox's iam-vulnerable catalogue.
 */
import { evaluateAccess, holds, type Access, type Policy } from './policy.js';

export interface EscalationPath {
  id: string;
  /** Every action is needed; all of them must be allowed. */
  actions: readonly string[];
  /** How the path is used, for the runbook reader. */
  how: string;
}

export const ESCALATION_PATHS: readonly EscalationPath[] = [
  { id: 'create-policy-version', actions: ['iam:CreatePolicyVersion'], how: 'write a new default version of a policy attached to itself that allows everything' },
  { id: 'set-default-policy-version', actions: ['iam:SetDefaultPolicyVersion'], how: 'switch a policy attached to itself to an older, more permissive version' },
  { id: 'create-access-key', actions: ['iam:CreateAccessKey'], how: 'create an access key for a more privileged user' },
  { id: 'create-login-profile', actions: ['iam:CreateLoginProfile'], how: 'give a more privileged user without a console password one it knows' },
  { id: 'update-login-profile', actions: ['iam:UpdateLoginProfile'], how: "reset a more privileged user's console password" },
  { id: 'attach-user-policy', actions: ['iam:AttachUserPolicy'], how: 'attach AdministratorAccess to a user it controls' },
  { id: 'attach-group-policy', actions: ['iam:AttachGroupPolicy'], how: 'attach AdministratorAccess to a group it is in' },
  { id: 'attach-role-policy', actions: ['iam:AttachRolePolicy'], how: 'attach AdministratorAccess to a role it is or can assume' },
  { id: 'put-user-policy', actions: ['iam:PutUserPolicy'], how: 'write an inline policy allowing everything on a user it controls' },
  { id: 'put-group-policy', actions: ['iam:PutGroupPolicy'], how: 'write an inline policy allowing everything on a group it is in' },
  { id: 'put-role-policy', actions: ['iam:PutRolePolicy'], how: 'write an inline policy allowing everything on a role it is or can assume' },
  { id: 'add-user-to-group', actions: ['iam:AddUserToGroup'], how: 'add itself to an administrators group' },
  { id: 'update-assume-role-policy', actions: ['iam:UpdateAssumeRolePolicy', 'sts:AssumeRole'], how: "rewrite a privileged role's trust policy to trust itself, then assume it" },
  { id: 'passrole-ec2', actions: ['iam:PassRole', 'ec2:RunInstances'], how: 'launch an instance with a privileged role and use its credentials' },
  { id: 'passrole-lambda-invoke', actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], how: 'create a function running as a privileged role and invoke it' },
  { id: 'passrole-lambda-event-source', actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:CreateEventSourceMapping'], how: 'create a function running as a privileged role and trigger it from an event source' },
  { id: 'lambda-update-function-code', actions: ['lambda:UpdateFunctionCode'], how: 'replace the code of a function that runs as a privileged role' },
  { id: 'passrole-glue-dev-endpoint', actions: ['iam:PassRole', 'glue:CreateDevEndpoint'], how: 'create a Glue development endpoint with a privileged role and log in to it' },
  { id: 'glue-update-dev-endpoint', actions: ['glue:UpdateDevEndpoint'], how: 'add its SSH key to an existing Glue endpoint that has a privileged role' },
  { id: 'passrole-cloudformation', actions: ['iam:PassRole', 'cloudformation:CreateStack'], how: 'create a stack that runs as a privileged role and creates what it asks for' },
  {
    id: 'passrole-datapipeline',
    actions: ['iam:PassRole', 'datapipeline:CreatePipeline', 'datapipeline:PutPipelineDefinition', 'datapipeline:ActivatePipeline'],
    how: 'run a data pipeline as a privileged role with commands of its choosing',
  },
  { id: 'passrole-codebuild', actions: ['iam:PassRole', 'codebuild:CreateProject', 'codebuild:StartBuild'], how: 'run a build as a privileged role with a buildspec of its choosing' },
  {
    id: 'passrole-sagemaker-notebook',
    actions: ['iam:PassRole', 'sagemaker:CreateNotebookInstance', 'sagemaker:CreatePresignedNotebookInstanceUrl'],
    how: 'open a notebook that runs as a privileged role',
  },
  { id: 'passrole-ecs-task', actions: ['iam:PassRole', 'ecs:RegisterTaskDefinition', 'ecs:RunTask'], how: 'run a container task with a privileged task role' },
  { id: 'ssm-send-command', actions: ['ssm:SendCommand'], how: 'run commands on an instance and use its instance role' },
];

export interface EscalationFinding {
  path: EscalationPath;
  /** How each action of the path is allowed. */
  access: Access[];
  /** True when some action of the path is allowed only under a condition. */
  conditional: boolean;
}

/** The paths whose every action the policies allow (on some resource, possibly under a condition). */
export function escalationPaths(policies: readonly Policy[], boundary?: Policy, catalogue: readonly EscalationPath[] = ESCALATION_PATHS): EscalationFinding[] {
  const cache = new Map<string, Access>();
  const accessTo = (action: string) => {
    let access = cache.get(action);
    if (!access) {
      access = evaluateAccess(policies, { action, resource: '*' }, boundary);
      cache.set(action, access);
    }
    return access;
  };
  const out: EscalationFinding[] = [];
  for (const path of catalogue) {
    const access = path.actions.map(accessTo);
    if (!access.every(holds)) continue;
    out.push({ path, access, conditional: access.some((a) => a.decision === 'conditional') });
  }
  return out;
}
