import { statusSuite } from './status-suite';

statusSuite('1.9.0');
