import { peopleSuite } from './people-suite';

peopleSuite('1.7.0');
