// Must NOT compile: returnValue is typed from the task function's return type.
import { add, greet } from "./tasks.js";

export async function wrongReturnTypes(id: string): Promise<void> {
  const result = await add.getResult(id);
  // expect-error TS2322
  const asString: string = result.returnValue;
  // expect-error TS2322
  const sumAsString: { sum: string } = result.returnValue;
  // expect-error TS2322
  const greeting: number = (await greet.getResult(id)).returnValue;
  console.log(asString, sumAsString, greeting);
}
