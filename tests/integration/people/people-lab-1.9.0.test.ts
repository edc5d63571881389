import { peopleSuite } from './people-suite';

peopleSuite('1.9.0');
