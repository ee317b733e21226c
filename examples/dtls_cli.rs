//! Command-line options shared by the `dtls-server` and `dtls-client` examples.

use oxrtc_dtls::{Certificate, Config, Fingerprint, SrtpProfile};

/// The options both DTLS examples take: `--srtp-profiles`, `--mtu`, `--cert`/`--key` and
/// `--peer-fingerprint`.
#[derive(Debug, Default)]
pub struct DtlsOptions {
    profiles: Option<Vec<SrtpProfile>>,
    mtu: Option<usize>,
    cert: Option<String>,
    key: Option<String>,
    peer_fingerprint: Option<Fingerprint>,
}

impl DtlsOptions {
    /// Usage text of these options.
    pub const USAGE: &'static str =
        "[--srtp-profiles LIST] [--mtu N] [--cert PEM --key PEM] [--peer-fingerprint FP]";

    /// Consumes `flag` when it is one of these options, reading its value through `value`.
    /// Returns `Ok(false)` for a flag that is not one of them.
    pub fn take_flag(
        &mut self,
        flag: &str,
        value: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, String> {
        match flag {
            "--srtp-profiles" => {
                let list = value()?;
                let parsed = list
                    .split([',', ':'])
                    .filter(|s| !s.is_empty())
                    .map(|n| {
                        SrtpProfile::from_openssl_name(n).ok_or(format!("unknown SRTP profile {n}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.profiles = Some(parsed);
            }
            "--mtu" => self.mtu = Some(value()?.parse().map_err(|e| format!("--mtu: {e}"))?),
            "--cert" => self.cert = Some(value()?),
            "--key" => self.key = Some(value()?),
            "--peer-fingerprint" => {
                self.peer_fingerprint = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--peer-fingerprint: {e}"))?,
                )
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the options that only make sense together, once every flag is read.
    pub fn validate(&self) -> Result<(), String> {
        if self.cert.is_some() != self.key.is_some() {
            return Err("--cert and --key go together".into());
        }
        Ok(())
    }

    /// Loads the certificate (`--cert`/`--key`, or a fresh ECDSA P-256 one) and builds the
    /// endpoint configuration from the options.
    pub fn into_config(self) -> Result<(Certificate, Config), Box<dyn std::error::Error>> {
        let certificate = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Certificate::from_pem(
                &std::fs::read_to_string(cert)?,
                &std::fs::read_to_string(key)?,
            )?,
            _ => Certificate::generate()?,
        };
        let mut config = Config::new(certificate.clone());
        if let Some(profiles) = self.profiles {
            config.srtp_profiles = profiles;
        }
        if let Some(mtu) = self.mtu {
            config.mtu = mtu;
        }
        config.expected_peer_fingerprints = self.peer_fingerprint.into_iter().collect();
        Ok((certificate, config))
    }
}
