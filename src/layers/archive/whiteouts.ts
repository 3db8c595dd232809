// The two spellings of a deletion and of an opaque directory: the OCI layer tar's `.wh.` names,
// and overlayfs's on-disk form (a 0/0 character device; the trusted.overlay.opaque xattr).
export const WHITEOUT_PREFIX = '.wh.';
/** Names starting with `.wh..wh.` are markers, not deletions (aufs also wrote .wh..wh.plnk etc.). */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** True for overlayfs's deletion marker: a character device with device number 0/0. */
export function isOverlayWhiteout(st: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}
