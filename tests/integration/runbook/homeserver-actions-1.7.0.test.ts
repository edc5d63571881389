import { homeserverActionsSuite } from './homeserver-actions-suite';

homeserverActionsSuite('1.7.0');
