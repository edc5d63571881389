import { dialog } from 'electron';
import type { ConfirmDialog } from '../model/confirm-dialog';

/** The native confirm dialog; resolves true only when the action's own button was chosen. */
export async function confirmWithDialog(model: ConfirmDialog): Promise<boolean> {
  const { response } = await dialog.showMessageBox({ ...model, buttons: [...model.buttons] });
  return response === 0;
}
