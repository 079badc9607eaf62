/** Child for modules-at-idle tests: imports the repository module named in argv[2] and exits. */
import { pathToFileURL } from 'node:url';

await import(pathToFileURL(process.argv[2]!).href);
process.stdout.write('imported');
