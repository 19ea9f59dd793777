// Avro schema pieces the codec tests share.

/** A nested record: `{ id: int, name: string }`. */
export const userField = {
  name: 'user',
  type: {
    type: 'record',
    name: 'User',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'name', type: 'string' },
    ],
  },
} as const;
