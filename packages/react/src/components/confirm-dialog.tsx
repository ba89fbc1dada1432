"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  /** The confirming button's words, e.g. "Retry 12 tasks". */
  confirmLabel: string;
  /** The dismissing button's words. Default "Go back". */
  dismissLabel?: string | undefined;
  /** Styles the confirming button as destructive. */
  danger?: boolean | undefined;
  busy?: boolean | undefined;
  onConfirm: () => void;
  /** Called on the dismissing button, Escape, or a click on the backdrop. */
  onDismiss: () => void;
}

/**
 * A modal confirmation (the browser's `<dialog>`: focus is kept inside, Escape dismisses, and
 * focus returns to the opener). The dismissing button has focus first, so Enter never
 * confirms by accident.
 *
 * @example
 * <ConfirmDialog open={open} title="Retry 12 failed tasks?" confirmLabel="Retry 12 tasks"
 *   onConfirm={retry} onDismiss={() => setOpen(false)} />
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  dismissLabel = "Go back",
  danger = false,
  busy = false,
  onConfirm,
  onDismiss,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const ids = { title: useId(), body: useId() };
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      data-errand=""
      aria-labelledby={ids.title}
      aria-describedby={children ? ids.body : undefined}
      onCancel={(event) => {
        event.preventDefault();
        onDismiss();
      }}
      onClick={(event) => {
        if (event.target === event.currentTarget) onDismiss();
      }}
      className="w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-950/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      {open ? (
        <div className="space-y-4 p-5">
          <h2 id={ids.title} className="text-base font-semibold">
            {title}
          </h2>
          {children ? (
            <div id={ids.body} className="text-sm text-zinc-600 dark:text-zinc-300">
              {children}
            </div>
          ) : null}
          <div className="flex justify-end gap-2">
            <button
              type="button"
              autoFocus
              onClick={onDismiss}
              className="h-9 rounded-md px-3 text-sm font-medium text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
            >
              {dismissLabel}
            </button>
            <button
              type="button"
              onClick={onConfirm}
              disabled={busy}
              className={`h-9 rounded-md px-3 text-sm font-medium text-white disabled:opacity-50 ${
                danger ? "bg-rose-600 hover:bg-rose-500" : "bg-indigo-600 hover:bg-indigo-500"
              }`}
            >
              {busy ? "Working…" : confirmLabel}
            </button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
