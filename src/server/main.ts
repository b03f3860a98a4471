import { runCli } from './cli';
import { loadDotEnv } from './env-file';

loadDotEnv();
void runCli(process.argv);
