import { invitesSuite } from './invites-suite';

invitesSuite('1.9.0');
