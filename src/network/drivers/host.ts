// The host driver: containers use the host's own network namespace; no links, no addresses.
import { Forbidden } from '../../lib/errors.js';
import type { NetworkDriver } from './driver.js';

export class HostDriver implements NetworkDriver {
  readonly name = 'host';
  readonly endpoints = false;
  async createNetwork(): Promise<void> {
    throw new Forbidden('only one instance of "host" network is allowed');
  }
  async deleteNetwork(): Promise<void> {}
  async join(): Promise<void> {}
  async leave(): Promise<void> {}
}
