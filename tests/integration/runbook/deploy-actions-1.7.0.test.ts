import { deployActionsSuite } from './deploy-actions-suite';

deployActionsSuite('1.7.0');
