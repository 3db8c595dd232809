// The null driver (Docker's name for the `none` network's): a namespace of the container's own
// with only the loopback device.
import { Forbidden } from '../../lib/errors.js';
import type { NetworkDriver } from './driver.js';

export class NoneDriver implements NetworkDriver {
  readonly name = 'null';
  readonly endpoints = false;
  async createNetwork(): Promise<void> {
    throw new Forbidden('only one instance of "null" network is allowed');
  }
  async deleteNetwork(): Promise<void> {}
  async join(): Promise<void> {}
  async leave(): Promise<void> {}
}
