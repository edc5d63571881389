import { statusSuite } from './status-suite';

statusSuite('1.7.0');
