
import { useApp } from '#testing';
import { contention } from '../support/contention-suite.ts';

/** The contention race (test/support/contention-suite.ts) with every module in this one process. */

const app = useApp();

contention(() => ({ app }));
