// Running a tools/*.ts script as a child process: `node --import <tsx loader> script.ts`, the same
// as `pnpm exec tsx script.ts` without the extra pnpm and tsx CLI processes in between.
import { pathToFileURL } from 'node:url';

/** tsx's loader by absolute URL, so the child finds it whatever its working directory. */
export const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

/** `process.execPath`'s arguments that run `script` (a .ts file) with `args`. */
export const tsxArgs = (script: string, ...args: string[]): string[] => ['--import', TSX_LOADER, script, ...args];
