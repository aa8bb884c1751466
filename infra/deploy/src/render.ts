#!/usr/bin/env node
// `npm run render:k8s --workspace @citadel/deploy`: writes the kustomize component
// infra/k8s/components/network-policies/ (one NetworkPolicy per file, and its
// kustomization) from the east-west policy, removing any file a render no longer writes.
// The spec beside this file fails while the folder and the policy disagree.
import path from 'node:path';
import { writeNetworkPolicyComponent } from './network-policies.js';
import { repoPaths } from './repo-paths.js';

const dir = repoPaths.networkPoliciesDir;
const { written, removed } = writeNetworkPolicyComponent(dir);
const where = path.relative(repoPaths.root, dir);
process.stdout.write(`wrote ${written.length} files to ${where}/\n`);
for (const file of removed) process.stdout.write(`removed ${where}/${file} (no longer rendered)\n`);
