// Container names: validation as Docker's, and random "adjective_surname" names for containers
// created without --name.
import { randomInt } from 'node:crypto';
import { InvalidParameter } from '../lib/errors.js';

const ADJECTIVES = [
  'admiring', 'bold', 'brave', 'busy', 'clever', 'cool', 'dazzling', 'eager', 'elastic', 'epic',
  'festive', 'focused', 'gallant', 'gentle', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'loving',
  'lucid', 'modest', 'nifty', 'nostalgic', 'optimistic', 'peaceful', 'quirky', 'relaxed', 'serene',
  'sharp', 'stoic', 'tender', 'trusting', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous',
];
const NAMES = [
  'allen', 'babbage', 'bell', 'borg', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'fermat',
  'feynman', 'franklin', 'gauss', 'hopper', 'hypatia', 'johnson', 'kepler', 'knuth', 'lamport',
  'lovelace', 'meitner', 'newton', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing',
  'wozniak', 'yalow',
];

export function randomName(retry: number): string {
  const n = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NAMES[randomInt(NAMES.length)]}`;
  return retry > 0 ? `${n}${randomInt(10)}` : n;
}

const VALID = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Returns the name with its leading slash, as Docker stores it. */
export function validateName(name: string): string {
  if (!VALID.test(name)) {
    throw new InvalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : '/' + name;
}
