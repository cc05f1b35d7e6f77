//! SMTP_CHECK: the dialogue keepalived holds (`check_smtp.c`): read the 220 banner, send
//! `HELO <helo_name>`, expect 250, send `QUIT`, read the reply, succeed. Replies are read a
//! line at a time into a fixed buffer; a multi-line reply (`220-...`) ends at its
//! `NNN ` line. Anything else fails.

use crate::limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Banner,
    Helo,
    Quit,
    Done,
}

/// Why the dialogue failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpError {
    /// A reply with another code than the stage expects (0: no code at all).
    Code { expected: u16, got: u16 },
    /// A reply line longer than the buffer.
    Overflow,
    /// The server closed before the dialogue ended.
    Closed,
}

/// What the caller does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpStep {
    /// Keep reading.
    More,
    /// Send `Smtp::tx()`, then keep reading.
    Send,
    /// The dialogue succeeded.
    Done,
}

/// One checker's dialogue; buffers made at start-up, `reset` before each connection.
#[derive(Clone, Debug)]
pub struct Smtp {
    helo: Vec<u8>,
    line: Vec<u8>,
    stage: Stage,
    send_quit: bool,
}

const QUIT: &[u8] = b"QUIT\r\n";

impl Smtp {
    pub fn new(helo_name: &str) -> Smtp {
        let mut helo = Vec::with_capacity(helo_name.len() + 7);
        helo.extend_from_slice(b"HELO ");
        helo.extend_from_slice(helo_name.as_bytes());
        helo.extend_from_slice(b"\r\n");
        Smtp {
            helo,
            line: Vec::with_capacity(limits::SMTP_MAX_LINE),
            stage: Stage::Banner,
            send_quit: false,
        }
    }

    pub fn reset(&mut self) {
        self.line.clear();
        self.stage = Stage::Banner;
        self.send_quit = false;
    }

    /// The command to send after `SmtpStep::Send`.
    pub fn tx(&self) -> &[u8] {
        if self.send_quit {
            QUIT
        } else {
            &self.helo
        }
    }

    /// Feeds received bytes; stops at the first complete reply that decides a step.
    pub fn feed(&mut self, data: &[u8]) -> Result<SmtpStep, SmtpError> {
        let mut step = SmtpStep::More;
        for &b in data {
            if self.stage == Stage::Done {
                break;
            }
            if self.line.len() >= limits::SMTP_MAX_LINE {
                return Err(SmtpError::Overflow);
            }
            self.line.push(b);
            if b != b'\n' {
                continue;
            }
            let code = reply_code(&self.line);
            let last = self.line.get(3) != Some(&b'-');
            self.line.clear();
            if !last {
                continue;
            }
            let (expected, next) = match self.stage {
                Stage::Banner => (220, Stage::Helo),
                Stage::Helo => (250, Stage::Quit),
                // Any reply to QUIT ends the dialogue.
                Stage::Quit | Stage::Done => (code, Stage::Done),
            };
            if code != expected {
                return Err(SmtpError::Code {
                    expected,
                    got: code,
                });
            }
            step = match next {
                Stage::Helo => {
                    self.send_quit = false;
                    SmtpStep::Send
                }
                Stage::Quit => {
                    self.send_quit = true;
                    SmtpStep::Send
                }
                _ => SmtpStep::Done,
            };
            self.stage = next;
        }
        Ok(step)
    }
}

/// The three-digit code a reply line starts with; 0 if none.
fn reply_code(line: &[u8]) -> u16 {
    match line {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_dialogue() {
        let mut s = Smtp::new("smtpchecker.keepalived.org");
        assert_eq!(s.feed(b"220-mx ESMTP\r\n"), Ok(SmtpStep::More));
        assert_eq!(s.feed(b"220 ready\r"), Ok(SmtpStep::More));
        assert_eq!(s.feed(b"\n"), Ok(SmtpStep::Send));
        assert_eq!(s.tx(), b"HELO smtpchecker.keepalived.org\r\n");
        assert_eq!(s.feed(b"250 hello\r\n"), Ok(SmtpStep::Send));
        assert_eq!(s.tx(), b"QUIT\r\n");
        assert_eq!(s.feed(b"221 bye\r\n"), Ok(SmtpStep::Done));
    }

    #[test]
    fn wrong_codes_garbage_and_overflow_fail() {
        let mut s = Smtp::new("h");
        assert_eq!(
            s.feed(b"554 no\r\n"),
            Err(SmtpError::Code {
                expected: 220,
                got: 554
            })
        );
        s.reset();
        assert_eq!(s.feed(b"220 ok\r\n"), Ok(SmtpStep::Send));
        assert_eq!(
            s.feed(b"garbage\r\n"),
            Err(SmtpError::Code {
                expected: 250,
                got: 0
            })
        );
        s.reset();
        let long = [b'2'; 4096];
        assert_eq!(s.feed(&long), Err(SmtpError::Overflow));
    }
}
