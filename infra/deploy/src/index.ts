export * from './topology.js';
export {
  renderNetworkPolicies,
  networkPolicyComponent,
  networkPolicyDrift,
  networkPolicyFileName,
  writeNetworkPolicyComponent,
  COMPONENT_KUSTOMIZATION,
  NETWORK_POLICIES_HEADER,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type IngressRule,
  type EgressRule,
  type LabelSelector,
} from './network-policies.js';
export { isTrafficAllowed, OUTSIDE, type Pod } from './network-reachability.js';
export * from './compose-checks.js';
export * from './dockerfile-checks.js';
export * from './k8s-checks.js';
export { repoPaths } from './repo-paths.js';
