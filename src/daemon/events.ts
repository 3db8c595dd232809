// The events bus: every service publishes here; /events streams from it with Docker's filters and
// since/until. A bounded in-memory history serves `since` for recent events, as dockerd's does.
import { EventEmitter } from 'node:events';

export interface EngineEvent {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  /** Deprecated fields older clients read. */
  status?: string;
  id?: string;
  from?: string;
}

const HISTORY = 1024;

export class EventBus {
  private history: EngineEvent[] = [];
  private emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime.bigint() % 1_000_000n);
    const ev: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      ev.status = action;
      ev.id = id;
      if (attributes.image) ev.from = attributes.image;
    }
    this.history.push(ev);
    if (this.history.length > HISTORY) this.history.shift();
    this.emitter.emit('event', ev);
  }

  /** Events since `sinceNs` already in history, then live ones through `onEvent` until unsubscribed. */
  subscribe(sinceNs: number | undefined, onEvent: (e: EngineEvent) => void): { past: EngineEvent[]; close(): void } {
    const past = sinceNs === undefined ? [] : this.history.filter((e) => e.timeNano >= sinceNs);
    this.emitter.on('event', onEvent);
    return { past, close: () => this.emitter.off('event', onEvent) };
  }

  on(listener: (e: EngineEvent) => void): void {
    this.emitter.on('event', listener);
  }
}

/** Docker's event filters: type, event/action, container, image, label, … (values OR, keys AND). */
export function matchesFilters(e: EngineEvent, filters: Map<string, string[]>): boolean {
  for (const [key, values] of filters) {
    if (values.length === 0) continue;
    const attr = e.Actor.Attributes;
    const ok = values.some((v) => {
      switch (key) {
        case 'type':
          return e.Type === v;
        case 'event':
        case 'action':
          return e.Action === v || e.Action.split(':')[0] === v;
        case 'container':
          return e.Type === 'container' && (e.Actor.ID.startsWith(v) || attr.name === v);
        case 'image':
          return attr.image === v || e.Actor.ID === v || (e.Type === 'image' && attr.name === v);
        case 'volume':
        case 'network':
        case 'node':
        case 'service':
        case 'secret':
        case 'config':
          return e.Type === key && (e.Actor.ID.startsWith(v) || attr.name === v);
        case 'label': {
          const [k, val] = v.split('=', 2) as [string, string | undefined];
          return val === undefined ? k in attr : attr[k] === val;
        }
        case 'scope':
          return e.scope === v;
        case 'daemon':
          return e.Type === 'daemon' && e.Actor.ID === v;
        default:
          return false;
      }
    });
    if (!ok) return false;
  }
  return true;
}
