// The macvlan driver: each endpoint is a macvlan sub-interface of the network's parent link, made
// straight inside the container's namespace as eth0 …; no bridge, no NAT, no published ports. The
// parent is the user's (`-o parent=`), or made here as Docker would (`eth0.10`: an 802.1q link).
import { Conflict, InvalidParameter, NotImplemented, errorMessage } from '../../lib/errors.js';
import { ipBatch, ipBatchForce, linkDetails } from '../iproute.js';
import type { Endpoint, NetworkRecord } from '../model.js';
import { endpointAddressLines, type JoinOptions, type NetworkDriver } from './driver.js';

export const MACVLAN_OPT = { parent: 'parent', mode: 'macvlan_mode' } as const;
const MODES = ['bridge', 'private', 'vepa', 'passthru'];

export function macvlanParent(n: NetworkRecord): string {
  return n.Options[MACVLAN_OPT.parent] ?? '';
}

/** Docker's checks of `-o macvlan_mode` and `-o parent`, before anything is made. */
export function validateMacvlanOptions(opts: Record<string, string>): void {
  const mode = opts[MACVLAN_OPT.mode] ?? '';
  if (mode && !MODES.includes(mode)) throw new InvalidParameter(`requested macvlan mode '${mode}' is not valid, 'bridge' mode is the macvlan driver default`);
  if (opts[MACVLAN_OPT.parent] === 'lo') throw new InvalidParameter('loopback interface is not a valid macvlan parent link');
}

/** `eth0.10` → ['eth0', 10], with Docker's errors for a malformed name. */
function parseVlanParent(name: string): [string, number] {
  const parts = name.split('.');
  if (parts.length !== 2 || !parts[0]) throw new InvalidParameter(`required interface name format is: name.vlan_id, ex. eth0.10 for vlan 10, instead received ${name}`);
  const vid = Number(parts[1]);
  if (!/^\d+$/.test(parts[1]!)) throw new InvalidParameter(`unable to parse a valid vlan id from: ${parts[1]} (ex. eth0.10 for vlan 10)`);
  if (vid < 1 || vid > 4094) throw new InvalidParameter(`vlan id must be between 1-4094, received: ${vid}`);
  return [parts[0], vid];
}

/** Runs `ip` commands that make a link of a kind the kernel may lack; `what` names it in the refusal. */
async function addLink(lines: string[], name: string, what: string): Promise<void> {
  try {
    await ipBatch(lines);
  } catch (err) {
    await ipBatchForce([`link del ${name}`]);
    if (/Unknown device type|not supported/i.test(errorMessage(err))) throw new NotImplemented(`${what}: this kernel has no support for it (${errorMessage(err)})`);
    throw err;
  }
}

export class MacvlanDriver implements NetworkDriver {
  readonly name = 'macvlan';
  readonly endpoints = true;

  /** @param networks every network the controller knows (parents shared between macvlan networks). */
  constructor(private readonly networks: () => NetworkRecord[]) {}

  private sharing(n: NetworkRecord, parent: string): NetworkRecord[] {
    return this.networks().filter((o) => o.Driver === 'macvlan' && o.Id !== n.Id && macvlanParent(o) === parent);
  }

  /** Makes nothing unless the parent has to be made; on failure nothing is left. */
  async createNetwork(n: NetworkRecord): Promise<void> {
    validateMacvlanOptions(n.Options);
    const parent = macvlanParent(n);
    const mode = n.Options[MACVLAN_OPT.mode] || 'bridge';
    for (const o of this.sharing(n, parent)) {
      if (mode === 'passthru') throw new Conflict(`cannot use mode passthru, macvlan network ${o.Id} is already using parent interface ${parent}`);
      if ((o.Options[MACVLAN_OPT.mode] || 'bridge') === 'passthru') throw new Conflict(`macvlan network ${o.Id} is already using parent interface ${parent} in mode passthru`);
    }
    if (!parent) {
      // Docker gives such a network a dummy link of its own as parent (and no way out).
      const dummy = `dm-${n.Id.slice(0, 12)}`;
      await addLink([`link add ${dummy} type dummy`, `link set ${dummy} up`], dummy, `a macvlan network without -o parent needs a dummy parent link ${dummy}; give -o parent=<interface> instead`);
      n.Options = { ...n.Options, [MACVLAN_OPT.parent]: dummy };
      n.createdParent = true;
      return;
    }
    if (await linkDetails(parent)) {
      n.createdParent = this.sharing(n, parent).some((o) => o.createdParent);
      return;
    }
    if (!parent.includes('.')) throw new InvalidParameter(`-o parent interface was not found on the host: ${parent}`);
    const [base, vid] = parseVlanParent(parent);
    if (!(await linkDetails(base))) throw new InvalidParameter(`-o parent interface was not found on the host: ${base}`);
    await addLink([`link add link ${base} name ${parent} type vlan id ${vid}`, `link set ${parent} up`], parent, `the macvlan parent ${parent} is an 802.1q VLAN sub-interface of ${base} (vlan ${vid}) that would have to be created`);
    n.createdParent = true;
  }

  /** The parent goes only if this network made it and no other macvlan network still uses it. */
  async deleteNetwork(n: NetworkRecord): Promise<void> {
    const parent = macvlanParent(n);
    if (!n.createdParent || !parent || this.sharing(n, parent).length) return;
    if (await linkDetails(parent)) await ipBatchForce([`link del ${parent}`]);
  }

  async join(n: NetworkRecord, ep: Endpoint, o: JoinOptions): Promise<void> {
    const parent = macvlanParent(n);
    if (!(await linkDetails(parent))) throw new InvalidParameter(`the requested parent interface ${parent} was not found on the Docker host`);
    const mode = n.Options[MACVLAN_OPT.mode] || 'bridge';
    // Made inside the sandbox at once: the parent is looked up in the host's namespace, the new link lives in the container's.
    await ipBatch([`link add link ${parent} name ${ep.ifname} netns ${o.netns} address ${ep.mac} type macvlan mode ${mode}`]);
    // Without a gateway (Docker allocates none for macvlan) there is no default route at all.
    const inside = endpointAddressLines(ep, o.defaultRoute && !n.Internal);
    try {
      await ipBatch(inside, o.netns);
    } catch (err) {
      await ipBatch([`link del ${ep.ifname}`], o.netns).catch(() => undefined);
      throw err;
    }
  }

  /** The sub-interface lives only in the sandbox: delete it there (a gone sandbox took it along). */
  async leave(_n: NetworkRecord, ep: Endpoint, netns?: string): Promise<void> {
    if (netns) await ipBatch([`link del ${ep.ifname}`], netns).catch(() => undefined);
  }
}
