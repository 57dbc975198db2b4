export function registerLiveTests(): void {}
