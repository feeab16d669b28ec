// Entry point of `npm run bench:partitions` (node -r @swc-node/register libs/state/bench/partition.bench.ts):
// the lost-write checker under real network partitions, for the default durability rule and the
// previous one. Re-runs itself with the workspace paths (see re-exec.ts). Progress on stderr; the
// last stdout line is ONE line of JSON {"scenarios":[...]}.
import { runWithWorkspacePaths } from './re-exec';

runWithWorkspacePaths(__filename, () => import('./partition.experiment'));
