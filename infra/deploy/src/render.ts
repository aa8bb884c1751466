#!/usr/bin/env node
// `npm run render:k8s --workspace @citadel/deploy`: writes infra/k8s/network-policies.yaml
// from the east-west policy. The spec beside this file fails while the two disagree.
import fs from 'node:fs';
import path from 'node:path';
import { networkPoliciesYaml } from './network-policies.js';
import { repoPaths } from './repo-paths.js';

fs.writeFileSync(repoPaths.networkPolicies, networkPoliciesYaml());
process.stdout.write(`wrote ${path.relative(repoPaths.root, repoPaths.networkPolicies)}\n`);
