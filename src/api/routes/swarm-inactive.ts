// Swarm-mode endpoints on a node that is in no swarm (Berth has no swarm mode yet): every one
// answers as dockerd does on an inactive node, 503 with its message, instead of a 404 that the
// docker CLI would print as "page not found" or take for a missing object.
import type { Router } from '../router.js';
import { Unavailable } from '../../lib/errors.js';

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const NO_SWARM = 'This node is not part of a swarm';
const NO_SWARM_MODE = 'swarm mode is not available in Berth yet: this node cannot create or join a swarm';

export function swarmInactiveRoutes(r: Router): void {
  const refuse = (message: string) => () => {
    throw new Unavailable(message);
  };
  r.post('/swarm/init', refuse(NO_SWARM_MODE));
  r.post('/swarm/join', refuse(NO_SWARM_MODE));
  r.post('/swarm/leave', refuse(NO_SWARM));
  r.post('/swarm/unlock', refuse(NO_SWARM));
  r.get('/swarm', refuse(NOT_MANAGER));
  r.post('/swarm/update', refuse(NOT_MANAGER));
  r.get('/swarm/unlockkey', refuse(NOT_MANAGER));
  for (const kind of ['services', 'nodes', 'tasks', 'secrets', 'configs']) {
    r.get(`/${kind}`, refuse(NOT_MANAGER));
    r.post(`/${kind}/create`, refuse(NOT_MANAGER));
    r.get(`/${kind}/:id`, refuse(NOT_MANAGER));
    r.delete(`/${kind}/:id`, refuse(NOT_MANAGER));
    r.post(`/${kind}/:id/update`, refuse(NOT_MANAGER));
    r.get(`/${kind}/:id/logs`, refuse(NOT_MANAGER));
  }
}
