// Colours of the land-use codes. The hues follow the conventions of Vietnamese land-use maps
// (bản đồ hiện trạng sử dụng đất): yellows for rice and annual crops, oranges for perennial crops,
// greens for forest, cyan for water, pinks for residential land, reds for public and special
// land, greys for cemeteries and unused land. Each group has its own fallback, so a code added to
// the table later is still drawn in its group's colour.

export const GROUP_COLORS = {
  nong_nghiep: '#b8e186',
  phi_nong_nghiep: '#f4a6a6',
  chua_su_dung: '#d9d9c8',
};

export const CODE_COLORS = {
  LUC: '#fff64a', LUK: '#fff98c', LUN: '#fffbb0',
  HNK: '#fff0b4', BHK: '#fff0b4', NHK: '#ffe9a0',
  CLN: '#ffcf8f',
  RSX: '#a8eaa0', RPH: '#62c46a', RDD: '#2e9e4a',
  NTS: '#9fe8f0', CNT: '#e0cfa0', LMU: '#e8f4f8', NKH: '#e6f5b0',
  ONT: '#ffc8f0', ODT: '#ff9ee6',
  TSC: '#ff7f7f', DTS: '#ff9a8a', DVH: '#ffa98f', DYT: '#ff9a8a', DGD: '#ffa98f', DTT: '#ffb59a',
  DKH: '#ff9a8a', DXH: '#ff9a8a', DNG: '#ff9a8a', DSK: '#ffb0a0',
  CQP: '#e84a4a', CAN: '#e85a5a',
  SKK: '#d9a0c8', SKT: '#d9a0c8', SKN: '#e0b0d0', SKC: '#e6b8d6', TMD: '#f28ca0',
  SKS: '#c8a080', SKX: '#d4b090',
  DGT: '#f5b041', DTL: '#7fd0e0', DDT: '#e6a070', DDL: '#e6a070', DSH: '#ffb59a', DKV: '#c8f0a0',
  DNL: '#f0a060', DBV: '#f0a060', DCH: '#f28ca0', DRA: '#b0a090', DPC: '#c0d0e0', DCK: '#ffb0a0',
  TON: '#f0b070', TIN: '#f0c080', NTD: '#c8c8c8', SON: '#8fd8f8', MNC: '#b0e8f8', PNK: '#f4c0b0',
  BCS: '#ecece0', DCS: '#e0d8c0', NCS: '#c8c4b8',
};

export function colorOf(code, group) {
  return CODE_COLORS[code] || GROUP_COLORS[group] || '#cccccc';
}

/** fillColorExpression styles parcels by their main land use (main_use in the tiles). */
export function fillColorExpression(codes) {
  const expr = ['match', ['get', 'main_use']];
  for (const c of codes) expr.push(c.code, colorOf(c.code, c.group));
  expr.push('#cccccc');
  return expr;
}
