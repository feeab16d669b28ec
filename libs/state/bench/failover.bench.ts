// Entry point of `npm run bench:state` (node -r @swc-node/register libs/state/bench/failover.bench.ts):
// re-runs itself with the workspace paths (see re-exec.ts), then the failover experiment.
// Progress goes to stderr; the last stdout line is ONE line of JSON.
import { runWithWorkspacePaths } from './re-exec';

runWithWorkspacePaths(__filename, () => import('./failover.experiment'));
