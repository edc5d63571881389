import { homeserverActionsSuite } from './homeserver-actions-suite';

homeserverActionsSuite('1.9.0');
