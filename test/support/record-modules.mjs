// node --import this: appends every module URL the process resolves to the file in $RECORD_MODULES
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url);
