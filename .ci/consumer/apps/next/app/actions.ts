"use server";
import { sendWelcomeEmail } from "@/tasks";

export async function signUp(email: string): Promise<string> {
  const result = await sendWelcomeEmail.enqueue(email);
  return result.id;
}
