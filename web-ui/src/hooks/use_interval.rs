use gloo_timers::callback::Interval;
use yew::prelude::*;

/// Calls `callback` every `millis` while the component is mounted (the latest callback is
/// used; changing `millis` restarts the timer).
#[hook]
pub fn use_interval(callback: impl Fn() + 'static, millis: u32) {
    let latest = use_mut_ref(|| None::<Box<dyn Fn()>>);
    *latest.borrow_mut() = Some(Box::new(callback));
    use_effect_with(millis, move |&millis| {
        let interval = Interval::new(millis, move || {
            if let Some(f) = latest.borrow().as_ref() {
                f();
            }
        });
        move || drop(interval)
    });
}
