// The timer for an absolute time lives in core (the Clock uses it); tasks keep their import path.
export { MAX_TIMER_DELAY, setTimerAt, type TimerOptions } from '../core/timer.js';
