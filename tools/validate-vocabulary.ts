// `pnpm validate:vocabulary`: the forbidden-vocabulary check of DESIGN §10; the logic is in ./vocabulary/scan.ts.
import { main } from './vocabulary/scan';

process.exitCode = main();
