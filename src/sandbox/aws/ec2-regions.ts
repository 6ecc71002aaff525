/** DescribeRegions: the regions an account has enabled, and with AllRegions the ones it has not. */
import { AwsError, queryBool } from './protocol.js';
import { compileFilters, readFilters, stringList } from './ec2-query.js';
import type { AwsCall } from './service.js';

/** Regions every account has without opting in. */
const STANDARD_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1',
  'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
];

/** Regions launched after March 2019: an account must opt in to each. */
const OPT_IN_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
  'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
];

type OptInStatus = 'opt-in-not-required' | 'opted-in' | 'not-opted-in';

interface RegionInfo {
  regionName: string;
  regionEndpoint: string;
  optInStatus: OptInStatus;
}

/**
 * The scenario's `enabledRegions` is the truth: a region in it is usable (`opted-in` when it needs
 * opting in), a region outside it is `not-opted-in` even if AWS would not let a standard region be
 * disabled, so scenarios can keep an account's footprint small.
 */
export function regionsOf(enabledRegions: string[]): RegionInfo[] {
  const names = [...new Set([...STANDARD_REGIONS, ...OPT_IN_REGIONS, ...enabledRegions])].sort();
  return names.map((regionName) => ({
    regionName,
    regionEndpoint: `ec2.${regionName}.amazonaws.com`,
    optInStatus: !enabledRegions.includes(regionName) ? 'not-opted-in' : STANDARD_REGIONS.includes(regionName) ? 'opt-in-not-required' : 'opted-in',
  }));
}

export function describeRegions({ params, account }: AwsCall) {
  const all = regionsOf(account.enabledRegions);
  const names = stringList(params, 'RegionName');
  const unknown = names.filter((name) => !all.some((r) => r.regionName === name));
  if (unknown.length > 0) throw new AwsError('InvalidParameterValue', `Invalid region names: ${unknown.join(', ')}`, 400);
  const matches = compileFilters<RegionInfo>(
    readFilters(params),
    { 'region-name': (r) => r.regionName, endpoint: (r) => r.regionEndpoint, 'opt-in-status': (r) => r.optInStatus },
    () => ({}),
  );
  // Without AllRegions AWS lists only enabled regions, even when they are named explicitly.
  const listed = queryBool(params, 'AllRegions') === true ? all : all.filter((r) => r.optInStatus !== 'not-opted-in');
  const regions = listed.filter((r) => (names.length === 0 || names.includes(r.regionName)) && matches(r));
  return { regionInfo: regions.length === 0 ? '' : { item: regions } };
}
