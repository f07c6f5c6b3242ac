import { FLOW_LIB } from '@app/flow';
console.log('hello', FLOW_LIB);
