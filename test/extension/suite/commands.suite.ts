export function registerCommandTests(): void {}
