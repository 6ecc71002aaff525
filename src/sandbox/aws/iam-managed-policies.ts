/**
 * A small catalogue of AWS managed policies with their real ids, dates and documents (as published in
 * AWS's managed policy reference). ReadOnlyAccess and SecurityAudit grant hundreds of services; their
 * documents here keep AWS's statement structure and wording but only the entries for the services the
 * sandbox emulates, so they stay readable. The others are AWS's documents in full.
 */

export interface AwsManagedPolicy {
  name: string;
  policyId: string;
  path: string;
  description: string;
  createdAt: Date;
  defaultVersionId: string;
  /** When the default version was published: the policy's UpdateDate. */
  updatedAt: Date;
  document: Record<string, unknown>;
}

const V = '2012-10-17';

export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  {
    name: 'AdministratorAccess',
    policyId: 'ANPAIWMBCKSKIEE64ZLYK',
    path: '/',
    description: 'Provides full access to AWS services and resources.',
    createdAt: new Date('2015-02-06T18:39:46Z'),
    defaultVersionId: 'v1',
    updatedAt: new Date('2015-02-06T18:39:46Z'),
    document: { Version: V, Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  },
  {
    name: 'PowerUserAccess',
    policyId: 'ANPAJYRXTHIB4FOVS3ZXS',
    path: '/',
    description: 'Provides full access to AWS services and resources, but does not allow management of Users and groups.',
    createdAt: new Date('2015-02-06T18:39:47Z'),
    defaultVersionId: 'v12',
    updatedAt: new Date('2026-02-12T17:59:14Z'),
    document: {
      Version: V,
      Statement: [
        { NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*', Effect: 'Allow' },
        {
          Action: [
            'account:GetAccountInformation',
            'account:GetGovCloudAccountInformation',
            'account:GetPrimaryEmail',
            'account:ListRegions',
            'iam:CreateServiceLinkedRole',
            'iam:DeleteServiceLinkedRole',
            'iam:ListRoles',
            'organizations:DescribeEffectivePolicy',
            'organizations:DescribeOrganization',
          ],
          Resource: '*',
          Effect: 'Allow',
        },
      ],
    },
  },
  {
    name: 'ReadOnlyAccess',
    policyId: 'ANPAILL3HVNFSB6DCOWYQ',
    path: '/',
    description: 'Provides read-only access to AWS services and resources.',
    createdAt: new Date('2015-02-06T18:39:48Z'),
    defaultVersionId: 'v87',
    updatedAt: new Date('2022-05-23T20:16:18Z'),
    document: {
      Version: V,
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'cloudtrail:Describe*',
            'cloudtrail:Get*',
            'cloudtrail:List*',
            'cloudtrail:LookupEvents',
            'ec2:Describe*',
            'ec2:Get*',
            'ec2:ListSnapshotsInRecycleBin',
            'ec2:SearchLocalGatewayRoutes',
            'ec2:SearchTransitGatewayRoutes',
            'guardduty:DescribeOrganizationConfiguration',
            'guardduty:DescribePublishingDestination',
            'guardduty:Get*',
            'guardduty:List*',
            'iam:Generate*',
            'iam:Get*',
            'iam:List*',
            'iam:Simulate*',
            'kms:Describe*',
            'kms:Get*',
            'kms:List*',
            'organizations:Describe*',
            'organizations:List*',
            'rds:Describe*',
            'rds:Download*',
            'rds:List*',
            's3:DescribeJob',
            's3:Get*',
            's3:List*',
            'sts:GetAccessKeyInfo',
            'sts:GetCallerIdentity',
            'sts:GetSessionToken',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'SecurityAudit',
    policyId: 'ANPAIX2T3QCXHR2OGGCTO',
    path: '/',
    description: 'The security audit template grants access to read security configuration metadata. It is useful for software that audits the configuration of an AWS account.',
    createdAt: new Date('2015-02-06T18:41:01Z'),
    defaultVersionId: 'v45',
    updatedAt: new Date('2024-10-30T18:36:49Z'),
    document: {
      Version: V,
      Statement: [
        {
          Action: [
            'cloudtrail:DescribeTrails',
            'cloudtrail:GetEventSelectors',
            'cloudtrail:GetInsightSelectors',
            'cloudtrail:GetTrail',
            'cloudtrail:GetTrailStatus',
            'cloudtrail:ListTags',
            'cloudtrail:ListTrails',
            'cloudtrail:LookupEvents',
            'ec2:Describe*',
            'ec2:GetEbsEncryptionByDefault',
            'ec2:GetImageBlockPublicAccessState',
            'guardduty:DescribePublishingDestination',
            'guardduty:Get*',
            'guardduty:List*',
            'iam:GenerateCredentialReport',
            'iam:GenerateServiceLastAccessedDetails',
            'iam:Get*',
            'iam:List*',
            'iam:SimulateCustomPolicy',
            'iam:SimulatePrincipalPolicy',
            'kms:Describe*',
            'kms:Get*',
            'kms:List*',
            'organizations:Describe*',
            'organizations:List*',
            'rds:Describe*',
            'rds:DownloadDBLogFilePortion',
            'rds:ListTagsForResource',
            's3:GetAccelerateConfiguration',
            's3:GetAccessPoint',
            's3:GetAccessPointPolicy',
            's3:GetAccessPointPolicyStatus',
            's3:GetAccountPublicAccessBlock',
            's3:GetAnalyticsConfiguration',
            's3:GetBucket*',
            's3:GetEncryptionConfiguration',
            's3:GetInventoryConfiguration',
            's3:GetLifecycleConfiguration',
            's3:GetMetricsConfiguration',
            's3:GetMultiRegionAccessPointPolicy',
            's3:GetObjectAcl',
            's3:GetObjectVersionAcl',
            's3:GetReplicationConfiguration',
            's3:ListAccessPoints',
            's3:ListAllMyBuckets',
            's3:ListMultiRegionAccessPoints',
          ],
          Effect: 'Allow',
          Resource: '*',
          Sid: 'BaseSecurityAuditStatement',
        },
      ],
    },
  },
  {
    name: 'AmazonS3FullAccess',
    policyId: 'ANPAIFIR6V6BVTRAHWINE',
    path: '/',
    description: 'Provides full access to all buckets via the AWS Management Console.',
    createdAt: new Date('2015-02-06T18:40:58Z'),
    defaultVersionId: 'v2',
    updatedAt: new Date('2021-09-27T20:16:37Z'),
    document: { Version: V, Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }] },
  },
  {
    name: 'AmazonRDSFullAccess',
    policyId: 'ANPAI3R4QMOG6Q5A4VWVG',
    path: '/',
    description: 'Provides full access to Amazon RDS via the AWS Management Console.',
    createdAt: new Date('2015-02-06T18:40:52Z'),
    defaultVersionId: 'v13',
    updatedAt: new Date('2023-04-14T12:27:01Z'),
    document: {
      Version: V,
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'rds:*',
            'application-autoscaling:DeleteScalingPolicy',
            'application-autoscaling:DeregisterScalableTarget',
            'application-autoscaling:DescribeScalableTargets',
            'application-autoscaling:DescribeScalingActivities',
            'application-autoscaling:DescribeScalingPolicies',
            'application-autoscaling:PutScalingPolicy',
            'application-autoscaling:RegisterScalableTarget',
            'cloudwatch:DescribeAlarms',
            'cloudwatch:GetMetricStatistics',
            'cloudwatch:PutMetricAlarm',
            'cloudwatch:DeleteAlarms',
            'cloudwatch:ListMetrics',
            'cloudwatch:GetMetricData',
            'ec2:DescribeAccountAttributes',
            'ec2:DescribeAvailabilityZones',
            'ec2:DescribeCoipPools',
            'ec2:DescribeInternetGateways',
            'ec2:DescribeLocalGatewayRouteTablePermissions',
            'ec2:DescribeLocalGatewayRouteTables',
            'ec2:DescribeLocalGatewayRouteTableVpcAssociations',
            'ec2:DescribeLocalGateways',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcAttribute',
            'ec2:DescribeVpcs',
            'ec2:GetCoipPoolUsage',
            'sns:ListSubscriptions',
            'sns:ListTopics',
            'sns:Publish',
            'logs:DescribeLogStreams',
            'logs:GetLogEvents',
            'outposts:GetOutpostInstanceTypes',
            'devops-guru:GetResourceCollection',
          ],
          Resource: '*',
        },
        { Effect: 'Allow', Action: 'pi:*', Resource: 'arn:aws:pi:*:*:metrics/rds/*' },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: '*',
          Condition: { StringLike: { 'iam:AWSServiceName': ['rds.amazonaws.com', 'rds.application-autoscaling.amazonaws.com'] } },
        },
        {
          Action: ['devops-guru:SearchInsights', 'devops-guru:ListAnomaliesForInsight'],
          Effect: 'Allow',
          Resource: '*',
          Condition: { 'ForAllValues:StringEquals': { 'devops-guru:ServiceNames': ['RDS'] }, Null: { 'devops-guru:ServiceNames': 'false' } },
        },
      ],
    },
  },
  {
    name: 'IAMFullAccess',
    policyId: 'ANPAI7XKCFMBPM3QQRRVQ',
    path: '/',
    description: 'Provides full access to IAM via the AWS Management Console.',
    createdAt: new Date('2015-02-06T18:40:38Z'),
    defaultVersionId: 'v2',
    updatedAt: new Date('2019-06-21T19:40:00Z'),
    document: {
      Version: V,
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'iam:*',
            'organizations:DescribeAccount',
            'organizations:DescribeOrganization',
            'organizations:DescribeOrganizationalUnit',
            'organizations:DescribePolicy',
            'organizations:ListChildren',
            'organizations:ListParents',
            'organizations:ListPoliciesForTarget',
            'organizations:ListRoots',
            'organizations:ListPolicies',
            'organizations:ListTargetsForPolicy',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'AmazonEC2FullAccess',
    policyId: 'ANPAI3VAJF5ZCRZ7MCQE6',
    path: '/',
    description: 'Provides full access to Amazon EC2 via the AWS Management Console.',
    createdAt: new Date('2015-02-06T18:40:15Z'),
    defaultVersionId: 'v5',
    updatedAt: new Date('2018-11-27T02:16:56Z'),
    document: {
      Version: V,
      Statement: [
        { Action: 'ec2:*', Effect: 'Allow', Resource: '*' },
        { Effect: 'Allow', Action: 'elasticloadbalancing:*', Resource: '*' },
        { Effect: 'Allow', Action: 'cloudwatch:*', Resource: '*' },
        { Effect: 'Allow', Action: 'autoscaling:*', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: '*',
          Condition: {
            StringEquals: {
              'iam:AWSServiceName': [
                'autoscaling.amazonaws.com',
                'ec2scheduled.amazonaws.com',
                'elasticloadbalancing.amazonaws.com',
                'spot.amazonaws.com',
                'spotfleet.amazonaws.com',
                'transitgateway.amazonaws.com',
              ],
            },
          },
        },
      ],
    },
  },
];

export function awsManagedPolicyArn(policy: AwsManagedPolicy): string {
  return `arn:aws:iam::aws:policy${policy.path}${policy.name}`;
}

const BY_ARN = new Map(AWS_MANAGED_POLICIES.map((p) => [awsManagedPolicyArn(p), p]));
const BY_NAME = new Map(AWS_MANAGED_POLICIES.map((p) => [p.name, p]));

/** By ARN (`arn:aws:iam::aws:policy/ReadOnlyAccess`) or by name. */
export function findAwsManagedPolicy(ref: string): AwsManagedPolicy | undefined {
  return ref.startsWith('arn:') ? BY_ARN.get(ref) : BY_NAME.get(ref);
}
