import { isProcessAlive } from '@failsoft/local-runtime';
import { failsoftPaths, readRunState, shortPath, STATE_DIR_ENV, type RunState } from '../run-state';

/** The platform `npm start` runs here, or why there is none. */
export type RunningPlatform = { running: true; url: string; state: RunState; runStateFile: string } | { running: false; reason: string; runStateFile: string };

/**
 * Finds the running `failsoft up` from its run-state file (`.failsoft/run-state.json`, or under
 * `$FAILSOFT_STATE_DIR`): running when the file says it was not stopped and its process lives.
 */
export function findRunningPlatform(workspace: string, env: NodeJS.ProcessEnv): RunningPlatform {
  const file = failsoftPaths(workspace, env[STATE_DIR_ENV]).runState;
  const shown = shortPath(workspace, file);
  let state: RunState | undefined;
  try {
    state = readRunState(file);
  } catch (error) {
    return { running: false, reason: (error as Error).message, runStateFile: file };
  }
  if (!state) return { running: false, reason: `no platform runs here (no ${shown}); start one with: npm start`, runStateFile: file };
  if (state.stoppedAt !== null) return { running: false, reason: `the platform stopped at ${state.stoppedAt} (${shown}); start it with: npm start`, runStateFile: file };
  if (!isProcessAlive(state.cliPid)) return { running: false, reason: `the platform's failsoft up process (pid ${state.cliPid}) is gone (${shown}); start it with: npm start`, runStateFile: file };
  if (!state.frontDoor.url) return { running: false, reason: `the platform (pid ${state.cliPid}) is still starting: no front door URL yet; try again in a few seconds`, runStateFile: file };
  return { running: true, url: state.frontDoor.url, state, runStateFile: file };
}
