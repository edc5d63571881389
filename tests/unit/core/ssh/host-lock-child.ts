// A process holding a host lock, for host-lock.test.ts to find it held and then kill it with SIGKILL.
// Usage: node <bundle of> host-lock-child.ts <lock folder> <profile hosts as JSON>
// Takes the homeserver's lock as 'CLI: restart', prints "locked" and waits to be killed.
import { HostLocks } from '../../../../src-main/core/ssh/host-lock';

const [lockDir = '', hosts = '{}'] = process.argv.slice(2);
new HostLocks({ hosts: JSON.parse(hosts) }, lockDir).acquire('homeserver', 'CLI: restart');
console.log('locked');
setInterval(() => {}, 1000);
