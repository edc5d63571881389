import { invitesSuite } from './invites-suite';

invitesSuite('1.7.0');
