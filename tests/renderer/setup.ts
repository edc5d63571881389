import { configure } from '@testing-library/react';

/**
 * `findBy…` and `waitFor` wait for what the UI must come to show; their 1 s default is a guess about the
 * machine, not part of any assertion. With test files in parallel on a busy 2-core machine a render can
 * take longer, so they wait up to 10 s; a passing check still returns as soon as it passes.
 */
configure({ asyncUtilTimeout: 10_000 });
