import { randomInt } from 'node:crypto';

// Readable default run names, like MLflow's "bold-fox-123", so a tree of runs is scannable.
const ADJECTIVES = [
  'amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'dapper', 'eager', 'fancy', 'gentle', 'glad', 'grand',
  'happy', 'keen', 'lively', 'lucky', 'mellow', 'merry', 'nimble', 'noble', 'polite', 'proud', 'quick', 'quiet',
  'rapid', 'shy', 'silent', 'smart', 'sunny', 'swift', 'tidy', 'vivid', 'warm', 'wise', 'witty', 'zesty',
];
const NOUNS = [
  'ant', 'bat', 'bear', 'bee', 'carp', 'cat', 'crab', 'crow', 'deer', 'dove', 'eel', 'elk', 'finch', 'fox', 'frog',
  'gull', 'hare', 'hawk', 'ibis', 'jay', 'koi', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'panda', 'quail',
  'ram', 'seal', 'slug', 'swan', 'toad', 'trout', 'wasp', 'wolf', 'wren', 'yak', 'zebra',
];

export function generateRunName(): string {
  const a = ADJECTIVES[randomInt(ADJECTIVES.length)]!;
  const n = NOUNS[randomInt(NOUNS.length)]!;
  return `${a}-${n}-${randomInt(1000)}`;
}
