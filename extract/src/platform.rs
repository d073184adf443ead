//! A platform plugin that is a manifest plus a layout, declared in one macro call: the plugin
//! type, its `Plugin` implementation (extraction by [`crate::policy::extract_request`] with the
//! layout, the date-line summary) and its C ABI exports.

/// Declares a platform plugin whose pages [`crate::policy`] extracts with a
/// [`crate::policy::PolicyLayout`]: the type, its manifest (named documents, the crate's
/// version), `extract`, `summarize` (the change of the "last updated" line) and the exports of
/// `termtrail_plugin_api::export_plugin!`.
///
/// An example (not compiled here: it needs a plugin crate around it; every crate of `plugins/`
/// is one):
///
/// ```text
/// termtrail_extract::platform_plugin! {
///     /// The plugin.
///     pub struct Acme;
///     name = "acme";
///     /// Where the text is, most specific first.
///     layout = { main: ["main article", "main"], remove: [".share-buttons"] };
///     documents = [
///         ("privacy-policy", "https://acme.example/privacy", "ACME privacy policy"),
///     ];
/// }
/// ```
#[macro_export]
macro_rules! platform_plugin {
    (
        $(#[$meta:meta])*
        $vis:vis struct $plugin:ident;
        name = $name:literal;
        $(#[$layout_meta:meta])*
        layout = { main: [$($main:literal),* $(,)?], remove: [$($remove:literal),* $(,)?] $(,)? };
        documents = [ $( ($kind:literal, $url:literal, $title:literal $(,)?) ),+ $(,)? ];
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        $vis struct $plugin;

        $(#[$layout_meta])*
        const LAYOUT: $crate::policy::PolicyLayout<'static> = $crate::policy::PolicyLayout {
            main: &[$($main),*],
            remove: &[$($remove),*],
        };

        impl $crate::plugin_api::Plugin for $plugin {
            fn manifest(&self) -> $crate::plugin_api::Manifest {
                $crate::plugin_api::Manifest::new($name, env!("CARGO_PKG_VERSION"))
                    $( .document($kind, $url, $title) )+
            }

            fn extract(
                &self,
                request: &$crate::plugin_api::ExtractRequest,
            ) -> ::std::result::Result<
                $crate::plugin_api::ExtractedDocument,
                $crate::plugin_api::PluginError,
            > {
                $crate::policy::extract_request(request, &LAYOUT)
            }

            /// A change of the policy's date line, the first thing readers look for.
            fn summarize(
                &self,
                request: &$crate::plugin_api::SummarizeRequest,
            ) -> ::std::option::Option<::std::string::String> {
                $crate::policy::effective_date_change(&request.old, &request.new)
            }
        }

        $crate::plugin_api::export_plugin!($plugin);
    };
}
