import { deployActionsSuite } from './deploy-actions-suite';

deployActionsSuite('1.9.0');
