// The none driver: a namespace of the container's own with only the loopback device.
import { Forbidden } from '../../lib/errors.js';
import type { NetworkDriver } from './driver.js';

export class NoneDriver implements NetworkDriver {
  readonly name = 'none';
  readonly endpoints = false;
  async createNetwork(): Promise<void> {
    throw new Forbidden('only one instance of "none" network is allowed');
  }
  async deleteNetwork(): Promise<void> {}
  async join(): Promise<void> {}
  async leave(): Promise<void> {}
}
