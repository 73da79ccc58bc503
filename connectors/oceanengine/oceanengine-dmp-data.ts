/**
 * Ocean Engine's DMP file format (reference §1.8, the proto2 schema its SDKs ship): a zip of one
 * text file whose every line is base64 of a protobuf DmpData, a list of typed ids. One line per
 * member, holding that member's ids. The schema is the published wire format, so the contract
 * server decodes with it too.
 */
import protobuf from 'protobufjs';

export const DATA_TYPES = { IMEI: 0, IDFA: 1, UID: 2, IMEI_MD5: 4, IDFA_MD5: 5, MOBILE_HASH_SHA256: 6, OAID: 7, OAID_MD5: 8 } as const;

const root = protobuf.Root.fromJSON({
  nested: {
    DataType: { values: DATA_TYPES },
    IdItem: {
      fields: {
        timestamp: { type: 'uint32', id: 1 },
        dataType: { rule: 'required', type: 'DataType', id: 2 },
        id: { rule: 'required', type: 'string', id: 3 },
        tags: { rule: 'repeated', type: 'string', id: 4 },
      },
    },
    DmpData: { fields: { idList: { rule: 'repeated', type: 'IdItem', id: 1 } } },
  },
});
const DmpData = root.lookupType('DmpData');

export interface DmpId {
  readonly dataType: number;
  readonly id: string;
}

export function encodeDmpLine(ids: readonly DmpId[]): string {
  return Buffer.from(DmpData.encode(DmpData.fromObject({ idList: ids })).finish()).toString('base64');
}

/** The ids of one line; throws on a line that is not base64 protobuf or lacks a required field. */
export function decodeDmpLine(line: string): DmpId[] {
  const message = DmpData.toObject(DmpData.decode(Buffer.from(line, 'base64')), { enums: Number, defaults: false }) as { idList?: DmpId[] };
  return message.idList ?? [];
}
