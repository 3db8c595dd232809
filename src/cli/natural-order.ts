// The order docker/cli lists names and ports in (Go's sortorder.NaturalLess): runs of digits
// compare by value, so "net2" sorts before "net10"; everything else compares byte by byte.

export function naturalLess(a: string, b: string): boolean {
  const re = /\d+|\D+/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny;
      // Equal values: fewer leading zeros first.
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

/** naturalLess as a comparator for Array.prototype.sort. */
export function naturalCompare(a: string, b: string): number {
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}
