/** The pool's twins differ in one thing: who owns the slab memory its buffers are cut from. */
export interface SlabSource {
  allocate(bytes: number): ArrayBuffer;
}
