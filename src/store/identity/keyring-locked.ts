// Why an item was not found, on Linux: Bun.secrets answers "no such item" both when it was deleted
// and when its collection is locked with nobody to unlock it (gnome-keyring's unlock prompt fails
// without a display). libsecret itself, through bun:ffi, tells the two apart: the default
// collection's Locked property. Asked only after the Secret Service has just answered, and only
// to choose the message; any failure here means "unknown".

/** true: the default collection is locked; false: unlocked; undefined: could not tell. */
export async function defaultCollectionLocked(): Promise<boolean | undefined> {
  if (process.platform !== "linux" || !("Bun" in globalThis)) return undefined;
  try {
    const specifier = "bun:ffi";
    const ffi = await import(specifier);
    const { ptr, i32 } = { ptr: ffi.FFIType.ptr, i32: ffi.FFIType.i32 };
    const secret = ffi.dlopen("libsecret-1.so.0", {
      secret_service_get_sync: { args: [i32, ptr, ptr], returns: ptr },
      secret_collection_for_alias_sync: { args: [ptr, ptr, i32, ptr, ptr], returns: ptr },
      secret_collection_get_locked: { args: [ptr], returns: i32 },
    });
    const gobject = ffi.dlopen("libgobject-2.0.so.0", {
      g_object_unref: { args: [ptr], returns: ffi.FFIType.void },
    });
    try {
      // SECRET_SERVICE_NONE, SECRET_COLLECTION_NONE: no session opened, no items loaded.
      const service = secret.symbols.secret_service_get_sync(0, null, null);
      if (!service) return undefined;
      const alias = new TextEncoder().encode("default\0");
      const collection = secret.symbols.secret_collection_for_alias_sync(
        service,
        ffi.ptr(alias),
        0,
        null,
        null,
      );
      gobject.symbols.g_object_unref(service);
      if (!collection) return undefined;
      const locked = secret.symbols.secret_collection_get_locked(collection) !== 0;
      gobject.symbols.g_object_unref(collection);
      return locked;
    } finally {
      secret.close();
      gobject.close();
    }
  } catch {
    return undefined;
  }
}
